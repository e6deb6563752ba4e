/**
 * Wraps fetch so that aborting a call always tears down its response body.
 * Node's fetch links a call to the caller's AbortSignal through its Request
 * object and drops that link once the Request is garbage collected
 * (nodejs/node#55428): an abandoned stream then keeps its connection open and
 * the server never learns the client left. Cancelling the body ourselves,
 * from a listener the signal holds strongly, closes the connection.
 */
export function abortableFetch(fetchFn: typeof globalThis.fetch): typeof globalThis.fetch {
  return async (input, init) => {
    const response = await fetchFn(input, init);
    const signal = init?.signal;
    // A unary answer arrives whole with its headers; only streams stay open long enough to need this.
    const streaming = /^application\/(connect\+|grpc-web)/.test(response.headers.get("content-type") ?? "");
    if (!signal || !streaming || response.body === null) return response;
    const source = response.body.getReader();
    const cancel = () => {
      source.cancel(signal.reason).catch(() => undefined);
    };
    signal.addEventListener("abort", cancel, { once: true });
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await source.read();
        if (done) {
          signal.removeEventListener("abort", cancel);
          controller.close();
        } else {
          controller.enqueue(value);
        }
      },
      cancel: (reason) => source.cancel(reason),
    });
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}
