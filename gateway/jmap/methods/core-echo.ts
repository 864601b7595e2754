// Core/echo (RFC 8620 §4): answers with its arguments, unchanged.
import { z } from 'zod';
import { CORE } from '../capabilities.js';
import { defineMethod } from '../method.js';

export const coreEcho = defineMethod('Core/echo', CORE, z.record(z.string(), z.unknown()), async (args) => args);
