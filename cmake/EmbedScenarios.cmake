# Writes a C++ source holding every scenarios/conformance/**/*.yml (scenarios
# and the backend definitions next to them) as a string, so `cable
# conformance` runs its built-in suite wherever the binary is copied.
# Usage: cmake -DDIR=<scenarios/conformance> -DOUT=<file.cpp> -P EmbedScenarios.cmake
file(GLOB_RECURSE _files RELATIVE ${DIR} ${DIR}/*.yml ${DIR}/*.yaml)
list(SORT _files)
set(_out "// Generated from scenarios/conformance by cmake/EmbedScenarios.cmake.\n")
string(APPEND _out "#include \"common/builtin_suite.h\"\n\nnamespace cable::builtin_suite {\n\n")
string(APPEND _out "const std::vector<File>& Files() {\n")
string(APPEND _out "  static const std::vector<File> kFiles = {\n")
foreach(_rel ${_files})
  file(READ ${DIR}/${_rel} _text)
  string(FIND "${_text}" ")cable_yml\"" _clash)
  if(NOT _clash EQUAL -1)
    message(FATAL_ERROR "${_rel} contains the raw-string delimiter )cable_yml\"")
  endif()
  string(APPEND _out "      {\"${_rel}\", R\"cable_yml(${_text})cable_yml\"},\n")
endforeach()
string(APPEND _out "  };\n  return kFiles;\n}\n\n}  // namespace cable::builtin_suite\n")
# Rewrite only on change so dependents do not rebuild needlessly.
if(EXISTS ${OUT})
  file(READ ${OUT} _old)
endif()
if(NOT "${_old}" STREQUAL "${_out}")
  file(WRITE ${OUT} "${_out}")
endif()
