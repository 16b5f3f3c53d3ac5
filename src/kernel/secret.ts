import { inspect } from 'node:util';

/**
 * A secret value that cannot leak by accident: it prints, logs and serialises as "[secret]".
 * Only `reveal()` gives the value, at the one place that needs it (an Authorization header, an HMAC).
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return '[secret]';
  }
}
