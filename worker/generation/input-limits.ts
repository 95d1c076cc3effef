// Limits the schema cannot express: total prompt size and inline image/file sizes.
import { LIMITS } from '../../shared/limits';
import type { ChatCompletionRequest } from '../../shared/schemas';
import { ApiError, badRequest } from '../lib/errors';

export function checkInputLimits(req: ChatCompletionRequest): void {
  let chars = 0;
  req.messages.forEach((m, i) => {
    type Part = Exclude<typeof m.content, string | null | undefined>[number];
    const parts: Part[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : (m.content ?? []);
    parts.forEach((p, j) => {
      if (p.type === 'text') chars += p.text.length;
      const inline = p.type === 'image_url' ? p.image_url.url : p.type === 'file' ? p.file.file_data : undefined;
      if (inline?.startsWith('data:') && decodedSize(inline) > LIMITS.maxInputImageBytes) {
        throw new ApiError(
          413,
          `messages[${i}].content[${j}] is larger than ${LIMITS.maxInputImageBytes} bytes.`,
          'invalid_request_error',
          'input_too_large',
          `messages[${i}].content[${j}]`,
        );
      }
      if (p.type === 'image_url' && !/^(https?:|data:image\/)/.test(p.image_url.url)) {
        throw badRequest(
          `messages[${i}].content[${j}].image_url.url must be an https URL or a data:image URL.`,
          `messages[${i}].content[${j}].image_url.url`,
        );
      }
    });
  });
  if (chars > LIMITS.maxPromptChars) {
    throw badRequest(
      `The messages hold ${chars} characters of text; the limit is ${LIMITS.maxPromptChars}.`,
      'messages',
      'context_length_exceeded',
    );
  }
}

const decodedSize = (dataUrl: string) => Math.floor(((dataUrl.length - dataUrl.indexOf(',') - 1) * 3) / 4);
