// Input limits: each one is checked and answered with a clear 400 or 413.
export const LIMITS = {
  /** Whole request body, enforced while reading (never buffered past this). */
  maxBodyBytes: 24 * 1024 * 1024,
  /** Characters of text across all messages. 272K tokens is about 1.1M characters. */
  maxPromptChars: 1_000_000,
  maxMessages: 256,
  /** Decoded bytes of one input image or file (inline data URL or uploaded file). */
  maxInputImageBytes: 10 * 1024 * 1024,
  /** Input images of one request (images to edit, mask and a parent's images together). */
  maxInputImages: 16,
  /** Pixels of one input image (width x height from its header), and its longest side. */
  maxInputPixels: 50_000_000,
  maxInputSide: 12_000,
  /** A multipart/form-data body (POST /v1/images/edits): up to 16 files, enforced while reading. */
  maxFormBodyBytes: 48 * 1024 * 1024,
  /** Decoded bytes of one image the upstream returns. */
  maxOutputImageBytes: 32 * 1024 * 1024,
  maxImagesPerRequest: 4,
} as const;
