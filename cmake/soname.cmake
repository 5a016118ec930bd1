# SPDX-License-Identifier: MIT
# triage_soname(VAR NAME DIRS): what dlopen() must ask for to open the
# libNAME.so found in DIRS or the linker's usual places: its SONAME
# ("libcurl.so.4"), read from the library with objdump, so that the
# library opened is the one the build's headers belong to. A library
# outside the toolchain's own directories (a custom prefix from
# PKG_CONFIG_PATH) is named by its full path, since the dynamic loader
# would not search there.
function(triage_soname var name dirs)
	find_library(_lib_${name} NAMES ${name} HINTS ${dirs})
	if(NOT _lib_${name})
		message(FATAL_ERROR "lib${name}.so not found")
	endif()
	if(NOT CMAKE_OBJDUMP)
		find_program(CMAKE_OBJDUMP objdump REQUIRED)
	endif()
	execute_process(COMMAND ${CMAKE_OBJDUMP} -p ${_lib_${name}}
		OUTPUT_VARIABLE _dump RESULT_VARIABLE _rc ERROR_QUIET)
	string(REGEX MATCH "SONAME +([^ \n]+)" _m "${_dump}")
	if(NOT _rc EQUAL 0 OR NOT CMAKE_MATCH_1)
		message(FATAL_ERROR "cannot read the SONAME of ${_lib_${name}}")
	endif()
	set(_soname ${CMAKE_MATCH_1})
	get_filename_component(_dir ${_lib_${name}} DIRECTORY)
	get_filename_component(_dir ${_dir} REALPATH)
	set(_system FALSE)
	foreach(d ${CMAKE_C_IMPLICIT_LINK_DIRECTORIES})
		get_filename_component(d ${d} REALPATH)
		if(d STREQUAL _dir)
			set(_system TRUE)
		endif()
	endforeach()
	if(NOT _system)
		set(_soname ${_dir}/${_soname})
	endif()
	set(${var} ${_soname} PARENT_SCOPE)
	message(STATUS "lib${name}: opened as ${_soname} when needed")
endfunction()
