import { runMain } from '@chat/observability';
import { startGateway } from './gateway.app';

runMain('gateway', (config, logger) => startGateway(config, logger));
