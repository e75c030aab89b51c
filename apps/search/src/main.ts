import 'reflect-metadata';
import { runDatabaseApp } from '@chat/app-main';
import { startSearch } from './search.app';

/** Standalone entry of the search app (`npm run start:search`, one container). */
runDatabaseApp('search', startSearch);
