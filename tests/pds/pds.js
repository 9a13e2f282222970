// pds.js - the atproto reference PDS for the Bluesky e2e tests: dev-env's
// network without an AppView (a PLC directory in memory, a PDS on SQLite),
// every data file under the folder given as the first argument, every
// socket on 127.0.0.1. Prints one line `PDS_URL http://127.0.0.1:PORT` once
// it serves, and closes everything on SIGTERM or SIGINT (exit 0).
'use strict';
const net = require('node:net');
const path = require('node:path');
const fs = require('node:fs');

// The PDS and the PLC listen on a bare port, which means every interface:
// a test machine's services stay on the loopback.
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function'))
    args.splice(1, 0, '127.0.0.1');
  return listen.apply(this, args);
};

const { TestNetworkNoAppView } = require('@atproto/dev-env');

async function main() {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node pds.js DATA_FOLDER');
    process.exit(2);
  }
  fs.mkdirSync(path.join(dir, 'blobs'), { recursive: true });
  const network = await TestNetworkNoAppView.create({
    pds: {
      hostname: 'localhost',
      dataDirectory: dir,
      blobstoreDiskLocation: path.join(dir, 'blobs'),
    },
  });
  let closing = false;
  const stop = async () => {
    if (closing) return;
    closing = true;
    try {
      await network.close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.log(`PDS_URL http://127.0.0.1:${network.pds.port}`);
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
