import type { Command } from '../src/chat/command.js';
import { approve } from './approve.js';
import { autoapprove } from './autoapprove.js';
import { help } from './help.js';
import { pause, resume } from './pause.js';
import { pending } from './pending.js';
import { reject } from './reject.js';
import { start } from './start.js';
import { status } from './status.js';
import { stopTraining, train } from './train.js';

/** Every chat command, in the order /help and the platforms' menus show them. */
export const COMMANDS: Command[] = [start, help, status, train, stopTraining, pending, approve, reject, pause, resume, autoapprove];
