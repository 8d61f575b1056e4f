/**
 * One webhook POST over node:http(s), whose DNS lookup refuses internal
 * addresses at the moment of connecting: a name checked as public when the
 * subscription was made cannot be pointed at an internal address afterwards
 * (DNS rebinding), since the address checked is the address connected to.
 * Redirects are not followed.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isInternalAddress } from './address';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for http.request that fails for internal addresses unless the host is allowed. */
function guardedLookup(allowed: ReadonlySet<string>) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const blocked = allowed.has(hostname.toLowerCase()) ? undefined : addresses.find((a) => isInternalAddress(a.address));
      if (blocked) {
        return callback(
          Object.assign(new Error(`refused: ${hostname} resolves to an internal address (${blocked.address})`), { code: 'EREFUSED' }),
          [],
        );
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

/** POSTs `body` and resolves with the response status (the response body is discarded); rejects on a network error or timeout. */
export function postJson(
  target: string,
  headers: Record<string, string>,
  body: string,
  options: { timeoutMs: number; allowHosts: ReadonlySet<string> },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(target);
    const requestOptions: RequestOptions = {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(options.allowHosts) as RequestOptions['lookup'],
      timeout: options.timeoutMs,
    };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, requestOptions, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}
