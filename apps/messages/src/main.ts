import 'reflect-metadata';
import { runDatabaseApp } from '@chat/app-main';
import { startMessages } from './messages.app';

/** Standalone entry of the messages app (`npm run start:messages`, one container). */
runDatabaseApp('messages', startMessages);
