// The HTTP front-end's own request and response shapes. Routes see these rather than
// node:http objects, so they are tested by calling the router without a socket.

export interface HttpRequest {
  readonly method: string;
  /** Path without the query string, e.g. "/healthz". */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The request body, read whole (at most MAX_BODY_BYTES, or the route's own limit) before routing; empty for most requests. */
  readonly body: Uint8Array;
  /** The client's IP address (for login throttling), when the socket still knows it. */
  readonly remoteAddress?: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
}

export type Handler = (request: HttpRequest) => HttpResponse | Promise<HttpResponse>;

/** One path and the handler for each method it answers; HEAD falls back to GET. */
export interface Route {
  readonly path: string;
  readonly methods: Readonly<Partial<Record<string, Handler>>>;
  /** A larger (or smaller) body limit than MAX_BODY_BYTES for this path, e.g. the JMAP API. */
  readonly maxBodyBytes?: number;
  /** The answer to a body over the limit, instead of the generic 413 (the connection still closes). */
  readonly tooLarge?: () => HttpResponse;
}
