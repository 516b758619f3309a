// YAML for every area: runbooks and scenarios with source positions, manifests and kubeconfigs as plain documents.

export { parseYamlWithPositions, parseYamlDocuments, stringifyYaml, type Locate, type LocateInString, type ParsedYaml, type PositionTarget } from './parse.js';
export { parseYamlQuickly, MAX_YAML_NESTING } from './fast.js';
