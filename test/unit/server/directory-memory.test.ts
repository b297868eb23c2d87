import { MemoryDirectory } from '@parley/server';
import { directoryContract } from '../../helpers/directory-contract.ts';

directoryContract('memory', async () => new MemoryDirectory());
