// POST /v1/images/generations (OpenAI Images API shape), served through the chat path.
import { Hono } from 'hono';
import type { AppEnv } from '../env';

export const imagesApiRoutes = new Hono<AppEnv>();
