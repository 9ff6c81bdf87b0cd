/** The widgets' models and views, loaded together when a notebook first shows one of them. */
export * from './inspector';
export * from './featureView';
export { SweepModel, SweepView } from './sweepView';
