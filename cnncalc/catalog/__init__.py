"""The bundled architectures and how a SPEC argument names one."""
