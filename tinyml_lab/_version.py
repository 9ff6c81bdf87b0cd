"""The Python package's one version (pyproject.toml has hatch read it from here) and the npm
package its JavaScript half is published as: the widgets' module and the labextension."""

__version__ = "0.1.0"
#: package.json "name"; test_readers.py checks that name and version agree with package.json
NPM_PACKAGE = "tinyml-lab"
