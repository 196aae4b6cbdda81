// Errors of a capture: one line each, with a code the CLI maps to exit code 2.

export type CaptureErrorCode =
  /** The options make no sense together (e.g. no command and no PID). */
  | 'EUSAGE'
  /** The program could not be started, or is neither Node nor Python. */
  | 'ESTART'
  /** No process with that PID. */
  | 'ENOPROCESS'
  /** The PID is not a Node process (or one that cannot open its inspector). */
  | 'ENOTNODE'
  /** The inspector port is held by another process or service. */
  | 'EPORT'
  /** No inspector came up in time, or the connection failed. */
  | 'EINSPECTOR'
  /** The target exited (or is exiting) before the snapshots were all taken. */
  | 'EEXITED'
  /** A snapshot could not be taken or written. */
  | 'ESNAPSHOT'
  /** Stopped through the abort signal (Ctrl-C). */
  | 'EABORTED';

export class CaptureError extends Error {
  readonly code: CaptureErrorCode;

  constructor(code: CaptureErrorCode, message: string) {
    super(message.split('\n')[0]);
    this.name = 'CaptureError';
    this.code = code;
  }
}

export function isCaptureError(err: unknown): err is CaptureError {
  return err instanceof CaptureError;
}
