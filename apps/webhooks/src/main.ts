import 'reflect-metadata';
import { runDatabaseApp } from '@chat/app-main';
import { startWebhooks } from './webhooks.app';

/** Standalone entry of the webhooks app (`npm run start:webhooks`, one container). */
runDatabaseApp('webhooks', startWebhooks);
