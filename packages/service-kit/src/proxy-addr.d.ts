// proxy-addr (Express's own dependency) ships no types: the one call the fast lane makes.
declare module 'proxy-addr' {
  import type { IncomingMessage } from 'node:http';
  /** The client address of `req`: the socket peer, or an X-Forwarded-For entry past trusted hops. */
  function proxyAddress(req: IncomingMessage, trust: (address: string, hop: number) => boolean): string;
  export default proxyAddress;
}
