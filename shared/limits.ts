// Input limits: each one is checked and answered with a clear 400 or 413.
export const LIMITS = {
  /** Whole request body, enforced while reading (never buffered past this). */
  maxBodyBytes: 24 * 1024 * 1024,
  /** Characters of text across all messages. 272K tokens is about 1.1M characters. */
  maxPromptChars: 1_000_000,
  maxMessages: 256,
  /** Decoded bytes of one input image or file sent inline as a data URL. */
  maxInputImageBytes: 10 * 1024 * 1024,
  /** Decoded bytes of one image the upstream returns. */
  maxOutputImageBytes: 32 * 1024 * 1024,
  maxImagesPerRequest: 4,
} as const;
