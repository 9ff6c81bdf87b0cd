// The npm package name and the version the Python widgets ask for (tinyml_lab/widget.py).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const data = require('../package.json');

export const MODULE_NAME: string = data.name;
export const MODULE_VERSION: string = data.version;
