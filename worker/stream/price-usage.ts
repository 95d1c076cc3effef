// Stage 4: every usage block carries `cost` in USD at the model's list prices.
import { costOf } from '../../shared/model';
import type { GenEvent } from './events';

/** The stage as a function. */
export function priceEvent(event: GenEvent): GenEvent {
  if (event.type !== 'chunk') return event;
  const usage = event.chunk.usage;
  if (!usage || typeof usage.prompt_tokens !== 'number' || typeof usage.completion_tokens !== 'number') return event;
  usage.cost = costOf(usage);
  return { type: 'chunk', chunk: event.chunk };
}
