# Writes a C++ source holding YAML files as strings, so that built-in
# backend definitions (`cable rpc --channels anyt`) and the built-in
# conformance suite work wherever the binary is copied.
# Usage: cmake -DDIR=<dir> -DOUT=<file.cpp> -DHEADER=<include> -DNAMESPACE=<ns>
#              -DFUNCTION=<name> -DTYPE=<element type> [-DRECURSE=ON] -P EmbedYaml.cmake
# The function returns a vector of {key, text}: the key is the file's path
# under DIR with RECURSE (*.yml and *.yaml), else its name without extension
# (*.yml in DIR only).
if(RECURSE)
  file(GLOB_RECURSE _files RELATIVE ${DIR} ${DIR}/*.yml ${DIR}/*.yaml)
else()
  file(GLOB _files RELATIVE ${DIR} ${DIR}/*.yml)
endif()
list(SORT _files)
get_filename_component(_dir_name ${DIR} NAME)
set(_out "// Generated from scenarios/${_dir_name} by cmake/EmbedYaml.cmake.\n")
string(APPEND _out "#include \"${HEADER}\"\n\nnamespace ${NAMESPACE} {\n\n")
string(APPEND _out "const std::vector<${TYPE}>& ${FUNCTION}() {\n")
string(APPEND _out "  static const std::vector<${TYPE}> kEmbedded = {\n")
foreach(_rel ${_files})
  if(RECURSE)
    set(_key ${_rel})
  else()
    get_filename_component(_key ${_rel} NAME_WE)
  endif()
  file(READ ${DIR}/${_rel} _text)
  string(FIND "${_text}" ")cable_yml\"" _clash)
  if(NOT _clash EQUAL -1)
    message(FATAL_ERROR "${_rel} contains the raw-string delimiter )cable_yml\"")
  endif()
  string(APPEND _out "      {\"${_key}\", R\"cable_yml(${_text})cable_yml\"},\n")
endforeach()
string(APPEND _out "  };\n  return kEmbedded;\n}\n\n}  // namespace ${NAMESPACE}\n")
# Rewrite only on change so dependents do not rebuild needlessly.
if(EXISTS ${OUT})
  file(READ ${OUT} _old)
endif()
if(NOT "${_old}" STREQUAL "${_out}")
  file(WRITE ${OUT} "${_out}")
endif()
