import 'reflect-metadata';
import { runDatabaseApp } from '@chat/app-main';
import { startPush } from './push.app';

/** Standalone entry of the push app (`npm run start:push`, one container). */
runDatabaseApp('push', startPush);
