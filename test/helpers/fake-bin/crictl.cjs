// Stand-in for crictl: containers live in $FAKE_CRICTL_STATE (JSON). Supports `ps [--name REGEX] [-q]` and `stop ID`,
// printing what crictl prints. A name listed in `deadlineOnce` answers DeadlineExceeded to its first stop.
const { readFileSync, writeFileSync } = require('node:fs');
const { randomBytes } = require('node:crypto');
const { record } = require('./record.cjs');

const args = process.argv.slice(2);
record('crictl', args);
const statePath = process.env.FAKE_CRICTL_STATE;
if (!statePath) fail('FAKE_CRICTL_STATE not set');
const state = JSON.parse(readFileSync(statePath, 'utf8'));
state.deadlineOnce ??= [];
const save = () => writeFileSync(statePath, JSON.stringify(state, null, 2));
const stamp = () => `E${new Date().toISOString().slice(5, 10).replace('-', '')} ${new Date().toISOString().slice(11, 23)}000    1234 remote_runtime.go:366]`;

function fail(message) {
  process.stderr.write(message + '\n');
  process.exit(1);
}

const command = args[0];
if (command === 'ps') {
  let nameRe;
  let quiet = false;
  for (let i = 1; i < args.length; i++) {
    if (args[i] === '--name') nameRe = new RegExp(args[++i]);
    else if (args[i].startsWith('--name=')) nameRe = new RegExp(args[i].slice(7));
    else if (args[i] === '-q' || args[i] === '--quiet') quiet = true;
  }
  const running = state.containers.filter((c) => c.state === 'running' && (!nameRe || nameRe.test(c.name)));
  if (quiet) process.stdout.write(running.map((c) => c.id + '\n').join(''));
  else {
    process.stdout.write('CONTAINER           IMAGE               CREATED             STATE               NAME                ATTEMPT             POD ID              POD\n');
    for (const c of running) process.stdout.write(`${c.id.slice(0, 13)}       sha256:0000         1 minute ago        Running             ${c.name.padEnd(20)}${String(c.attempt ?? 0).padEnd(20)}${'pod0000'.padEnd(20)}${c.name}-cp-1\n`);
  }
} else if (command === 'stop') {
  for (const id of args.slice(1)) {
    const container = state.containers.find((c) => c.id === id || c.id.startsWith(id));
    if (!container) {
      process.stderr.write(`${stamp()} "StopContainer from runtime service failed" err="rpc error: code = NotFound desc = an error occurred when try to find container \\"${id}\\": not found" containerID="${id}"\n`);
      fail(`FATA[0000] stopping the container "${id}": rpc error: code = NotFound desc = an error occurred when try to find container "${id}": not found`);
    }
    const slow = state.deadlineOnce.indexOf(container.name);
    if (slow >= 0) {
      state.deadlineOnce.splice(slow, 1);
      save();
      process.stderr.write(`${stamp()} "StopContainer from runtime service failed" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" containerID="${id}"\n`);
      fail(`FATA[0002] stopping the container "${id}": rpc error: code = DeadlineExceeded desc = context deadline exceeded`);
    }
    container.state = 'exited';
    // The kubelet recreates the static pod's container.
    state.containers.push({ id: randomBytes(32).toString('hex'), name: container.name, state: 'running', attempt: (container.attempt ?? 0) + 1 });
    save();
    process.stdout.write(id + '\n');
  }
} else {
  fail(`crictl stand-in: unsupported command ${args.join(' ')}`);
}
