// Stage 4: every usage block carries `cost` in USD at the model's list prices.
import { costOf } from '../../shared/model';
import type { GenEvent } from './events';

export function priceUsage(): TransformStream<GenEvent, GenEvent> {
  return new TransformStream({
    transform(event, out) {
      if (event.type !== 'chunk') return out.enqueue(event);
      const usage = event.chunk.usage;
      if (!usage || typeof usage.prompt_tokens !== 'number' || typeof usage.completion_tokens !== 'number') {
        return out.enqueue(event);
      }
      usage.cost = costOf(usage);
      out.enqueue({ type: 'chunk', chunk: event.chunk });
    },
  });
}
