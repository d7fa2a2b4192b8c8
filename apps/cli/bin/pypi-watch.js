#!/usr/bin/env node
// Runs the TypeScript sources directly (no build step), from any working directory.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
