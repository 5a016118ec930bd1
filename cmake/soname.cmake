# SPDX-License-Identifier: MIT
# triage_soname(VAR NAME DIRS): the SONAME of libNAME.so found in DIRS or
# the linker's usual places ("libcurl.so.4"), read from the library with
# objdump: the name dlopen() must ask for, which is the one the build's
# headers belong to.
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
	set(${var} ${CMAKE_MATCH_1} PARENT_SCOPE)
	message(STATUS "lib${name}: opened as ${CMAKE_MATCH_1} when needed")
endfunction()
