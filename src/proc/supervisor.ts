// Parent-death guard: step processes lead their own groups, so they outlive an opsbook killed by kill -9, a lost
// terminal or the OOM killer. One small `sh` per opsbook process (started with the first step process) holds the
// read end of a pipe; when that pipe hits EOF (opsbook is gone, however it died) it stops every group still listed
// and removes every directory still listed (the --as kubeconfig, a copy of the user's credentials, outlives a kill -9 otherwise).

import { spawn, type ChildProcess } from 'node:child_process';

/** Grace between the supervisor's SIGTERM and SIGKILL, in 0.1 s ticks (5 s, like the engine's killGraceMs default). */
const GRACE_TICKS = 50;

// Reads "+PGID" / "-PGID" and "dDIR" / "uDIR" lines; ignores the signals a dying terminal or Ctrl-C would send; on EOF,
// rm -rf each listed directory, then TERM → grace → KILL.
const SCRIPT = `trap '' HUP INT TERM PIPE
g=' '
nl='
'
d=
while IFS= read -r l; do
  case $l in
    +*) g="$g\${l#+} " ;;
    -*) p=\${l#-}; case $g in *" $p "*) g="\${g%% $p *} \${g#* $p }" ;; esac ;;
    d*) d="$d\${l#d}$nl" ;;
    u*) p=\${l#u}; n=
      while IFS= read -r x; do [ -n "$x" ] && [ "$x" != "$p" ] && n="$n$x$nl"; done <<EOF
$d
EOF
      d=$n ;;
  esac
done
printf '%s' "$d" | while IFS= read -r x; do [ -n "$x" ] && rm -rf -- "$x"; done
[ "$g" = ' ' ] && exit 0
for p in $g; do kill -TERM -"$p" 2>/dev/null; done
i=0
while [ "$i" -lt "$1" ]; do
  alive=
  for p in $g; do kill -0 -"$p" 2>/dev/null && alive=1; done
  [ -z "$alive" ] && exit 0
  sleep 0.1
  i=$((i + 1))
done
for p in $g; do kill -KILL -"$p" 2>/dev/null; done
`;

let supervisor: ChildProcess | undefined;
let broken = false;

function startSupervisor(): ChildProcess | undefined {
  if (supervisor || broken) return supervisor;
  try {
    const child = spawn('/bin/sh', ['-c', SCRIPT, 'opsbook-supervisor', String(GRACE_TICKS)], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    // Best effort: without it only the journal (and resume) protect against leftovers.
    child.on('error', () => (broken = true));
    child.stdin?.on('error', () => (broken = true));
    // Neither the child nor its pipe may keep opsbook's event loop alive.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    supervisor = child;
  } catch {
    broken = true;
  }
  return supervisor;
}

/** Lists group `pgid` with the supervisor; the returned function unlists it (call it once the group has ended). */
export function superviseGroup(pgid: number): () => void {
  const child = startSupervisor();
  if (!child?.stdin || broken) return () => {};
  child.stdin.write(`+${pgid}\n`);
  return () => {
    if (!broken && child.stdin?.writable) child.stdin.write(`-${pgid}\n`);
  };
}

/** Lists directory `dir` for removal should opsbook die without removing it; the returned function unlists it (call it once removed). */
export function superviseDir(dir: string): () => void {
  // One line per entry: a path with a newline cannot be listed (mkdtemp under such a TMPDIR is left to the exit handler).
  if (dir.includes('\n')) return () => {};
  const child = startSupervisor();
  if (!child?.stdin || broken) return () => {};
  child.stdin.write(`d${dir}\n`);
  return () => {
    if (!broken && child.stdin?.writable) child.stdin.write(`u${dir}\n`);
  };
}

/** The supervisor's pid (tests kill it to simulate a leftover that nothing stopped). */
export function supervisorPid(): number | undefined {
  return supervisor?.pid;
}
