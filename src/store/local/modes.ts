// Permissions of what opsbook writes under the state directory: journals hold step output and cluster details, so
// directories it creates are 0700 and its files 0600 whatever the umask (a directory the user made is left alone).

/** Mode of every directory opsbook creates under (and as) the state directory. */
export const PRIVATE_DIR_MODE = 0o700;

/** Mode of every file opsbook creates there: journal.ndjson, run.json, owner.json. */
export const PRIVATE_FILE_MODE = 0o600;
