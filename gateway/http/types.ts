// The HTTP front-end's own request and response shapes. Routes see these rather than
// node:http objects, so they are tested by calling the router without a socket.

export interface HttpRequest {
  readonly method: string;
  /** Path without the query string, e.g. "/healthz". */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The request body, read whole (at most MAX_BODY_BYTES) before routing; empty for most requests. */
  readonly body: Uint8Array;
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
}
