// A separate process posting with Node's fetch (undici), so that its writes race the server's answer as a
// real client's do: `node fetch-client.mjs <url> <headers JSON> <bytes> <chunk bytes> <gap ms>`. With a
// chunk size, the body is a stream of chunks `gap ms` apart; otherwise one buffer with its Content-Length.
// Prints `{status, body}` or `{error}` as JSON.
const [url, headersJson, bytesArg, chunkArg, gapArg] = process.argv.slice(2);
const bytes = Number(bytesArg);
const chunk = Number(chunkArg ?? 0);
const gap = Number(gapArg ?? 0);
let body;
if (chunk > 0) {
  let sent = 0;
  body = new ReadableStream({
    async pull(controller) {
      if (sent >= bytes) return controller.close();
      if (sent > 0) await new Promise((r) => setTimeout(r, gap));
      controller.enqueue(new Uint8Array(Math.min(chunk, bytes - sent)).fill(0x20));
      sent += chunk;
    },
  });
} else {
  body = Buffer.alloc(bytes, 0x20);
}
try {
  const res = await fetch(url, { method: 'POST', headers: JSON.parse(headersJson), body, duplex: 'half' });
  process.stdout.write(JSON.stringify({ status: res.status, body: await res.text() }));
} catch (err) {
  process.stdout.write(JSON.stringify({ error: String(err.cause?.code ?? err.cause ?? err) }));
}
