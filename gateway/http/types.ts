// The HTTP front-end's own request and response shapes. Routes see these rather than
// node:http objects, so they are tested by calling the router without a socket.
import type { WebSocket } from 'ws';

/** What is known of a request before its body is read. */
export interface HttpRequestHead {
  readonly method: string;
  /** Path without the query string, e.g. "/healthz". */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The client's IP address (for login throttling), when the socket still knows it. */
  readonly remoteAddress?: string;
}

export interface HttpRequest extends HttpRequestHead {
  /** The request body, read whole (at most MAX_BODY_BYTES, or the route's own limit) before routing; empty for most requests. */
  readonly body: Uint8Array;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The whole body; ignored (send '') when `stream` is set. */
  readonly body: string | Uint8Array;
  /** A body written over time (Server-Sent Events), instead of `body`. */
  readonly stream?: ResponseStream;
}

/**
 * Writes a streamed body until it returns. `signal` aborts when the client goes away, the
 * server closes or the client reads too slowly; the stream must then return promptly.
 * Writes after that are dropped.
 */
export type ResponseStream = (write: (chunk: string) => void, signal: AbortSignal) => Promise<void>;

/** A request matched to a route: `params` holds the values of the route's `:name` segments. */
export interface RoutedRequest extends HttpRequest {
  readonly params: Readonly<Record<string, string>>;
}

export type Handler = (request: RoutedRequest) => HttpResponse | Promise<HttpResponse>;

/**
 * Checks a request matched to a route before its body is read: a response refuses it (sent
 * as it is, the body left unread and the connection closed; the handler is not called),
 * undefined lets it through to the body and the handler.
 */
export type HeadCheck = (head: HttpRequestHead & { readonly params: Readonly<Record<string, string>> }) => Promise<HttpResponse | undefined>;

/**
 * Completes a WebSocket handshake with the subprotocol chosen (one the client offered) and a
 * largest message size, past which ws closes the connection with 1009. Rejects when the
 * handshake is invalid (ws has then answered it) or the client went away.
 */
export type AcceptWebSocket = (options: { readonly protocol: string; readonly maxMessageBytes: number }) => Promise<WebSocket>;

/**
 * Answers a WebSocket upgrade request: either refuses it with an ordinary response (the
 * connection then closes) or calls `accept` and owns the socket from then on (undefined).
 */
export type UpgradeHandler = (request: RoutedRequest, accept: AcceptWebSocket) => Promise<HttpResponse | undefined>;

/** One path and the handler for each method it answers; HEAD falls back to GET. */
export interface Route {
  /** An exact path ("/healthz"), or one with `:name` segments that match one whole segment each ("/pay/:id"). */
  readonly path: string;
  /** What the value of a `:name` segment (percent-decoded) must match; a path whose value does not is no match (404). */
  readonly params?: Readonly<Record<string, RegExp>>;
  readonly methods: Readonly<Partial<Record<string, Handler>>>;
  /** A larger (or smaller) body limit than MAX_BODY_BYTES for this path, e.g. the JMAP API. */
  readonly maxBodyBytes?: number;
  /** The answer to a body over the limit, instead of the generic 413 (the connection still closes). */
  readonly tooLarge?: () => HttpResponse;
  /**
   * Runs on the head of a request to one of `methods` before its body is read (after a
   * declared Content-Length over the limit is refused), so that e.g. an unauthenticated
   * client cannot make the server buffer a large body.
   */
  readonly beforeBody?: HeadCheck;
  /** Takes WebSocket upgrades at this path; other upgrade requests are answered as ordinary ones. */
  readonly upgrade?: UpgradeHandler;
}
