/**
 * A one-way channel that a worker thread reads synchronously. The sender
 * posts on a MessagePort and bumps a counter in shared memory; the receiver
 * takes messages with receiveMessageOnPort and, while none is there, sleeps
 * on the counter (Atomics.wait). This lets synchronous code in a worker (the
 * engine's replay, which reads history as an iterable) pull from an
 * asynchronous source in another thread.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

/** One end of a channel: its port and the counter both ends share. */
export interface ChannelEnd {
  port: MessagePort;
  counter: SharedArrayBuffer;
}

/** A new channel: post on `sender`, receive on `receiver` (hand it to the worker, transferring its port). */
export function openChannel(): { sender: ChannelEnd; receiver: ChannelEnd } {
  const { port1, port2 } = new MessageChannel();
  const counter = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  return { sender: { port: port1, counter }, receiver: { port: port2, counter } };
}

/** Posts a message (moving the given buffers rather than copying them) and wakes the receiver if it sleeps. */
export function post(end: ChannelEnd, message: unknown, transfer: ArrayBuffer[] = []): void {
  end.port.postMessage(message, transfer);
  const counter = new Int32Array(end.counter);
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
}

/** The next message, sleeping until one comes; `waited` is the time slept, in milliseconds. */
export function receive<T>(end: ChannelEnd): { message: T; waited: number } {
  const counter = new Int32Array(end.counter);
  let waited = 0;
  for (;;) {
    // Read the counter before looking: a message posted after the look changes it, so the wait returns at once.
    const seen = Atomics.load(counter, 0);
    const received = receiveMessageOnPort(end.port);
    if (received) return { message: received.message as T, waited };
    const started = performance.now();
    Atomics.wait(counter, 0, seen);
    waited += performance.now() - started;
  }
}
