/** Which library a model comes from, named as its users know it, for "agreement with ..." labels. */
const LIBRARIES: Record<string, string> = {
  sklearn: 'scikit-learn',
  xgboost: 'XGBoost',
  lightgbm: 'LightGBM',
  keras: 'Keras',
  tensorflow: 'Keras',
  // a .tflite file: its reference outputs come from TensorFlow Lite Micro's interpreter
  tflite: 'TensorFlow Lite Micro'
};

/** The library of an IR's estimator ("xgboost.XGBClassifier" -> "XGBoost"); else its first part. */
export function referenceLibrary(estimator: string): string {
  const root = estimator.split('.')[0];
  return LIBRARIES[root] ?? root;
}
