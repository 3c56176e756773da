// Process entry point: runs the mini-kubelet command line with this process's arguments.
import { main } from './main.js';

await main(process.argv);
