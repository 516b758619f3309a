// Shared by the stand-ins: append this invocation to $FAKE_BIN_LOG as one JSON line.
const { appendFileSync } = require('node:fs');
module.exports.record = (program, args) => {
  if (process.env.FAKE_BIN_LOG) appendFileSync(process.env.FAKE_BIN_LOG, JSON.stringify({ program, args }) + '\n');
};
