// The flags that turn `run` into a fleet run: --fleet FILE or --contexts GLOB, --selector, and strategy overrides.

import { Option, type Command } from 'commander';
import { parsePositiveInt } from './options.js';

export interface FleetOptionFlags {
  fleet?: string;
  contexts?: string;
  selector?: string;
  maxParallel?: number;
  maxFailures?: string;
}

export function addFleetOptions(command: Command): Command {
  return command
    .addOption(new Option('--fleet <file>', 'run on every cluster of a fleet file (kind: Fleet), in waves; see runbooks/fleets/example.yaml'))
    .addOption(new Option('--contexts <glob>', "run on every context of the kubeconfig matching the glob (e.g. 'prod-*'), as a fleet"))
    .addOption(new Option('--selector <selector>', "fleet: only clusters whose labels match (e.g. 'env=prod,region in (eu,us)')"))
    .addOption(new Option('--max-parallel <n>', "fleet: clusters running at once (overrides the fleet file's)").argParser(parsePositiveInt))
    .addOption(new Option('--max-failures <n|p%>', "fleet: failed clusters tolerated before no new cluster starts (overrides the fleet file's)"));
}
