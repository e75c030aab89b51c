import 'reflect-metadata';
import { runDatabaseApp } from '@chat/app-main';
import { startApi } from './api.app';

/** Standalone entry of the api app (`npm run start:api`, one container). */
runDatabaseApp('api', startApi);
