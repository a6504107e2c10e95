/**
 * What lies outside the document element: the prolog before it and the
 * "Misc" after it (XML 1.0 §2.1 `document`, §2.8 `prolog`, `Misc`).
 *
 * saxes reports two of the errors there late, or at a place that depends on
 * how the text was cut into chunks:
 *
 * - a document type declaration is only reported once it is complete, so an
 *   unterminated `<!DOCTYPE x [ ...` was buffered up to `limits.rootBytes`
 *   before it was rejected;
 * - non-whitespace text outside the document element is reported at the end
 *   of the text run *in the current chunk* (the next `<`, `&` or the chunk's
 *   end), so the offset moved with the chunking.
 *
 * This scanner walks the (few) characters outside the document element
 * itself, as they arrive: it finds `<!DOCTYPE` as soon as its last letter is
 * there (XML is case-sensitive: `<!doctype` is no declaration, saxes rejects
 * it as malformed), and the first character of text, so both errors get the
 * same offset whatever the chunking. It follows only as much syntax as it
 * needs — comments (§2.5) and processing instructions (§2.6), including the
 * XML declaration — and leaves everything else (a CDATA section, an end
 * tag, malformed markup) to saxes, which rejects it where it stands.
 *
 * @module
 */

/** What {@link OutsideScanner.scan} stopped at (numeric constants, no enum). */
export type OutsideStop = number;
/** Nothing special: the whole text was read, the scanner can go on with the next. */
export const OUTSIDE_MORE: OutsideStop = 0;
/** A start tag begins (the document element, in the prolog): outside-root text is over. */
export const OUTSIDE_ELEMENT: OutsideStop = 1;
/** `<!DOCTYPE` complete: {@link OutsideScanner.doctypeIndex} is the index just after its `E`. */
export const OUTSIDE_DOCTYPE: OutsideStop = 2;
/** Markup this scanner does not follow (saxes will report it): stop looking. */
export const OUTSIDE_OTHER: OutsideStop = 3;

// Scanner states.
const S_BETWEEN = 0; // between markup: whitespace, text, or '<'
const S_LT = 1; // after '<'
const S_BANG = 2; // after '<!', matching '--', 'DOCTYPE' or '[CDATA['
const S_COMMENT = 3; // inside '<!--'
const S_COMMENT_DASH = 4; // '-' seen inside a comment
const S_COMMENT_DASHES = 5; // '--' seen inside a comment: '>' must follow
const S_PI = 6; // inside '<?'
const S_PI_QUESTION = 7; // '?' seen inside a processing instruction

const DOCTYPE = 'DOCTYPE';
const COMMENT_OPEN = '--';

/** Streaming scanner of the text outside the document element; see the module comment. */
export class OutsideScanner {
  #state = S_BETWEEN;
  /** Characters matched after '<!'. */
  #bang = 0;
  /** Could the characters after '<!' still become '--' / 'DOCTYPE'? */
  #maybeComment = false;
  #maybeDoctype = false;
  /** Position (in the whole text) of the first character of text outside markup, or -1. */
  #textAt = -1;
  #doctypeIndex = -1;

  /** Position of the first non-whitespace character outside markup seen so far, or -1. */
  get textAt(): number {
    return this.#textAt;
  }

  /** After {@link OUTSIDE_DOCTYPE}: the index in the scanned text just after `<!DOCTYPE`. */
  get doctypeIndex(): number {
    return this.#doctypeIndex;
  }

  /** Starts over between markup (after the document element's end tag). */
  reset(): void {
    this.#state = S_BETWEEN;
    this.#textAt = -1;
  }

  /**
   * Reads `text` from index `from`; `start` is the position of `text[0]` in
   * the whole text (its first character, position 0, may be a byte order
   * mark, which saxes skips). Returns where it stopped.
   */
  scan(text: string, from: number, start: number): OutsideStop {
    let state = this.#state;
    for (let i = from; i < text.length; i++) {
      const c = text.charCodeAt(i);
      switch (state) {
        case S_BETWEEN:
          if (c === 0x3c) {
            state = S_LT;
          } else if (c !== 0x20 && c !== 0x0a && c !== 0x09 && c !== 0x0d && this.#textAt < 0 &&
              !(c === 0xfeff && start + i === 0)) {
            // Text outside the document element: an error saxes reports where the run ends; remember where it began.
            this.#textAt = start + i;
          }
          break;
        case S_LT:
          if (c === 0x21) {
            state = S_BANG;
            this.#bang = 0;
            this.#maybeComment = true;
            this.#maybeDoctype = true;
          } else if (c === 0x3f) {
            state = S_PI;
          } else {
            this.#state = S_BETWEEN;
            return c === 0x2f ? OUTSIDE_OTHER : OUTSIDE_ELEMENT;
          }
          break;
        case S_BANG: {
          const k = this.#bang++;
          this.#maybeComment &&= c === COMMENT_OPEN.charCodeAt(k);
          this.#maybeDoctype &&= c === DOCTYPE.charCodeAt(k);
          if (this.#maybeComment && k === COMMENT_OPEN.length - 1) {
            state = S_COMMENT;
          } else if (this.#maybeDoctype && k === DOCTYPE.length - 1) {
            this.#state = S_BETWEEN;
            this.#doctypeIndex = i + 1;
            return OUTSIDE_DOCTYPE;
          } else if (!this.#maybeComment && !this.#maybeDoctype) {
            // A CDATA section or malformed markup: saxes rejects both outside the document element.
            this.#state = S_BETWEEN;
            return OUTSIDE_OTHER;
          }
          break;
        }
        case S_COMMENT:
          if (c === 0x2d) state = S_COMMENT_DASH;
          break;
        case S_COMMENT_DASH:
          state = c === 0x2d ? S_COMMENT_DASHES : S_COMMENT;
          break;
        case S_COMMENT_DASHES:
          if (c !== 0x3e) {
            // '--' inside a comment (§2.5): malformed, saxes says so.
            this.#state = S_BETWEEN;
            return OUTSIDE_OTHER;
          }
          state = S_BETWEEN;
          break;
        case S_PI:
          if (c === 0x3f) state = S_PI_QUESTION;
          break;
        default: // S_PI_QUESTION
          state = c === 0x3e ? S_BETWEEN : c === 0x3f ? S_PI_QUESTION : S_PI;
      }
    }
    this.#state = state;
    return OUTSIDE_MORE;
  }
}
