// Bundles the compiler core (lib/core, built by tsc) into one self-contained script for
// the Python package's headless API, which evaluates it in an embedded V8. It defines a
// single global, TinyMLCore; no DOM, no module loader.
const path = require('path');

module.exports = {
  mode: 'production',
  entry: './lib/core/index.js',
  target: ['web', 'es2020'],
  devtool: false,
  output: {
    path: path.resolve(__dirname, 'tinyml_lab', 'js'),
    filename: 'tinyml_core.js',
    library: { name: 'TinyMLCore', type: 'var' }
  },
  optimization: { minimize: false },
  performance: { hints: false }
};
