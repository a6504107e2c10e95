/**
 * Limits for the xopstream contestants: the defaults, raised only where a
 * benchmark message needs it (the small case has 2,001 parts; the default
 * limits.parts is 1,000), so that every contestant parses the same message.
 *
 * @module
 */

import { DEFAULT_MIME_LIMITS, type MimeLimits } from '../../src/index.js';
import type { BenchMessage } from '../messages.js';

export function benchLimits(message: BenchMessage): MimeLimits {
  return {
    parts: Math.max(DEFAULT_MIME_LIMITS.parts, message.parts.length),
    totalBytes: Math.max(DEFAULT_MIME_LIMITS.totalBytes, message.message.length),
    partBytes: Math.max(DEFAULT_MIME_LIMITS.partBytes, ...message.parts.map((p) => p.size)),
  };
}
