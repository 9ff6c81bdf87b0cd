// ts-jest compiles the TypeScript sources to CommonJS; arquero and its dependencies ship
// ES modules only, so they are transformed too (allowJs) instead of being ignored.
const esmPackages = ['arquero', '@uwdata', 'acorn'].join('|');

module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/tests/js'],
  setupFiles: ['<rootDir>/tests/js/setup.js'],
  transform: {
    '^.+\\.[tj]sx?$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }]
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages})/)`],
  moduleFileExtensions: ['ts', 'tsx', 'js', 'mjs', 'json']
};
