// The benchmark's ceiling (BRIEF §5): bare node:http answering one constant JSON to every request,
// behind the same nginx as the full stack. Nothing can be faster through that edge on this
// machine; the after point is measured against it. `node ceiling-server.ts <port>`.
import http from 'node:http';

const body = Buffer.from(JSON.stringify({ id: '000000000000000000000000', name: 'constant', priceCents: 1999, currency: 'USD', inStock: true }));
const port = Number(process.argv[2] ?? 0);

const server = http.createServer((req, res) => {
  // A request body (the order scenario) is read to its end before the answer, as any server must.
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : port });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
