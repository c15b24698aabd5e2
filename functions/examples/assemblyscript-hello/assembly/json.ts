// A small JSON tree for one request: parse, look up, change, write back.
//
// Minimal on purpose, like the C example's: strings and numbers keep their raw text (strings
// with quotes and escapes), so what is copied out is exactly what came in and nothing is ever
// unescaped; keys are compared in their raw form; numbers are scanned, not validated (the host
// only ever sends valid JSON).

/** The kinds of JSON value. */
export enum Kind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

/** A member of an object (`key` set) or an element of an array (`key` empty). */
export class Member {
  constructor(public key: string, public value: Value) {}
}

/** A JSON value. Scalars keep their raw text; arrays and objects their members in order. */
export class Value {
  members: Member[] = [];

  constructor(public kind: Kind, public raw: string = "") {}

  /** The member `key` of this object, or null (also when this is not an object). */
  get(key: string): Value | null {
    if (this.kind != Kind.Object) return null;
    // The last duplicate wins, as in most parsers.
    for (let i = this.members.length - 1; i >= 0; i--) {
      if (this.members[i].key == key) return this.members[i].value;
    }
    return null;
  }

  /** Sets the member `key` of this object to `value`. */
  set(key: string, value: Value): void {
    for (let i = this.members.length - 1; i >= 0; i--) {
      if (this.members[i].key == key) {
        this.members[i].value = value;
        return;
      }
    }
    this.members.push(new Member(key, value));
  }

  /** The member `key` if it is an object; otherwise it becomes a new empty object. */
  objectAt(key: string): Value {
    const existing = this.get(key);
    if (existing != null && existing.kind == Kind.Object) return existing;
    const created = new Value(Kind.Object);
    this.set(key, created);
    return created;
  }

  /** The raw content of a string (escapes kept, quotes dropped), or null for other kinds. */
  stringContent(): string | null {
    if (this.kind != Kind.String) return null;
    return this.raw.substring(1, this.raw.length - 1);
  }

  /** This value as compact JSON. */
  toJSON(): string {
    const parts: string[] = [];
    this.writeTo(parts);
    return parts.join("");
  }

  private writeTo(parts: string[]): void {
    if (this.kind != Kind.Object && this.kind != Kind.Array) {
      parts.push(this.raw);
      return;
    }
    const isObject = this.kind == Kind.Object;
    parts.push(isObject ? "{" : "[");
    for (let i = 0; i < this.members.length; i++) {
      if (i > 0) parts.push(",");
      if (isObject) parts.push('"' + this.members[i].key + '":');
      this.members[i].value.writeTo(parts);
    }
    parts.push(isObject ? "}" : "]");
  }
}

/** Deeper nesting than any Kubernetes object needs; keeps a hostile request off the stack limit. */
const MAX_DEPTH = 100;

/** Parses JSON text; on a syntax error `error` says what and where. */
export class Parser {
  pos: i32 = 0;
  error: string = "";

  constructor(private text: string) {}

  /** The value of the whole text, or null with `error` set. */
  parse(): Value | null {
    const value = this.value(0);
    if (value == null) return null;
    this.skipSpace();
    if (this.pos != this.text.length) return this.fail("trailing characters");
    return value;
  }

  private fail(what: string): Value | null {
    if (this.error.length == 0) this.error = what + " at character " + this.pos.toString();
    return null;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  private value(depth: i32): Value | null {
    if (depth > MAX_DEPTH) return this.fail("nested too deeply");
    this.skipSpace();
    if (this.pos >= this.text.length) return this.fail("unexpected end of input");
    const c = this.text.charCodeAt(this.pos);
    if (c == 0x7b /* { */) return this.container(depth, Kind.Object);
    if (c == 0x5b /* [ */) return this.container(depth, Kind.Array);
    if (c == 0x22 /* " */) {
      const start = this.pos;
      if (!this.scanString()) return null;
      return new Value(Kind.String, this.text.substring(start, this.pos));
    }
    if (c == 0x74 /* t */) return this.literal("true", Kind.Bool);
    if (c == 0x66 /* f */) return this.literal("false", Kind.Bool);
    if (c == 0x6e /* n */) return this.literal("null", Kind.Null);
    const start = this.pos;
    while (this.pos < this.text.length && "+-0123456789.eE".includes(this.text.charAt(this.pos))) {
      this.pos++;
    }
    if (this.pos == start) return this.fail("unexpected character");
    return new Value(Kind.Number, this.text.substring(start, this.pos));
  }

  private literal(word: string, kind: Kind): Value | null {
    if (this.text.substr(this.pos, word.length) != word) return this.fail("unexpected character");
    this.pos += word.length;
    return new Value(kind, word);
  }

  /** Scans a string from its opening quote to just after its closing quote. */
  private scanString(): bool {
    this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos++);
      if (c == 0x22) return true;
      if (c == 0x5c /* \ */) {
        this.pos++; // the escaped character; \uXXXX's digits are ordinary characters
      } else if (c < 0x20) {
        this.fail("control character in a string");
        return false;
      }
    }
    this.fail("unterminated string");
    return false;
  }

  private container(depth: i32, kind: Kind): Value | null {
    const isObject = kind == Kind.Object;
    const close: i32 = isObject ? 0x7d : 0x5d;
    const result = new Value(kind);
    this.pos++;
    this.skipSpace();
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == close) {
      this.pos++;
      return result;
    }
    while (true) {
      let key = "";
      this.skipSpace();
      if (isObject) {
        if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x22) {
          return this.fail("expected a string key");
        }
        const start = this.pos;
        if (!this.scanString()) return null;
        key = this.text.substring(start + 1, this.pos - 1);
        this.skipSpace();
        if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x3a) {
          return this.fail("expected ':'");
        }
        this.pos++;
      }
      const member = this.value(depth + 1);
      if (member == null) return null;
      result.members.push(new Member(key, member));
      this.skipSpace();
      if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x2c) {
        this.pos++;
      } else if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == close) {
        this.pos++;
        return result;
      } else {
        return this.fail(isObject ? "expected ',' or '}'" : "expected ',' or ']'");
      }
    }
  }
}
