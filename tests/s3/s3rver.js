// s3rver.js - the S3 server of the S3 storage e2e tests: s3rver on
// 127.0.0.1 on a free port, its objects under the folder given as the first
// argument, the buckets named by the next arguments made empty. Prints one
// line `S3_URL http://127.0.0.1:PORT` once it serves, and stops on SIGTERM
// or SIGINT (exit 0). s3rver checks no signature: tests/fakes/s3_front.py,
// in front of it, does. Run with `node --openssl-legacy-provider` on Node
// 20 (without it every second page of a listing fails with a 500).
'use strict';
const fs = require('node:fs');
const S3rver = require('s3rver');

async function main() {
  const [dir, ...buckets] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: node s3rver.js DATA_FOLDER [BUCKET...]');
    process.exit(2);
  }
  fs.mkdirSync(dir, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  const addr = await server.run();
  const stop = () => server.close().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.log(`S3_URL http://127.0.0.1:${addr.port}`);
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
