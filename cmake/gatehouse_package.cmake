# The installed CMake package: `cmake --install build --prefix P` puts the binary in P/bin, the
# public headers in P/include/gatehouse and every library of src/ (static) with an export set in
# P/lib, so that `find_package(gatehouse)` gives `gatehouse::gatehouse` (everything an embedder
# links: the gateway, the builder, the shipped stores) and one `gatehouse::<area>` target per
# library (`gatehouse::builder`, `gatehouse::store_sqlite`, ...). Inside this tree the same names
# exist as aliases, so the examples build either way (examples/CMakeLists.txt is the standalone
# project the install test builds).
#
# Included by the top-level CMakeLists.txt once src/ (and tests/, for GTest) are added: every
# static or interface library defined anywhere under src/ is picked up, so a new area needs no
# edit here.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(GATEHOUSE_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/gatehouse)

# Every library target of a directory and its subdirectories.
function(gatehouse_collect_libraries dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  set(found)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "STATIC_LIBRARY" OR type STREQUAL "INTERFACE_LIBRARY")
      list(APPEND found ${target})
    endif()
  endforeach()
  foreach(subdir IN LISTS subdirs)
    gatehouse_collect_libraries(${subdir} below)
    list(APPEND found ${below})
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()

gatehouse_collect_libraries(${PROJECT_SOURCE_DIR}/src GATEHOUSE_LIBRARIES)

# Installed under their area's name (gatehouse_store_sqlite -> gatehouse::store_sqlite), with
# the installed include/ as their include directory (inside the tree they use the source
# folders through $<BUILD_INTERFACE:...>).
foreach(library IN LISTS GATEHOUSE_LIBRARIES)
  string(REGEX REPLACE "^gatehouse_" "" export_name ${library})
  set_target_properties(${library} PROPERTIES EXPORT_NAME ${export_name})
  target_include_directories(${library} INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  add_library(gatehouse::${export_name} ALIAS ${library})
endforeach()

# gatehouse::gatehouse: the whole gateway with every shipped store. Static linking takes only
# the objects a program uses, so linking everything costs an embedder nothing it does not call.
add_library(gatehouse_everything INTERFACE)
set_target_properties(gatehouse_everything PROPERTIES EXPORT_NAME gatehouse)
target_link_libraries(gatehouse_everything INTERFACE ${GATEHOUSE_LIBRARIES})
target_include_directories(gatehouse_everything
  INTERFACE $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
            $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
add_library(gatehouse::gatehouse ALIAS gatehouse_everything)

# The flag libraries are linked PRIVATE by every library; a static library's private links are
# part of its link interface ($<LINK_ONLY:...>), so they are exported too (only their link
# options, e.g. the sanitizers of a sanitized build, reach a consumer).
install(TARGETS ${GATEHOUSE_LIBRARIES} gatehouse_everything gatehouse_build_flags
                gatehouse_fuzz_flags
  EXPORT gatehouseTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development)
install(EXPORT gatehouseTargets NAMESPACE gatehouse:: DESTINATION ${GATEHOUSE_INSTALL_CMAKEDIR}
  COMPONENT development)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/gatehouse DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT development FILES_MATCHING PATTERN "*.hpp")

# gatehouse::testing (find_package(gatehouse COMPONENTS testing)): the store conformance suite
# a custom store is proven with, the same one every shipped store runs. Installed from tests/
# as include/gatehouse/testing/{conformance,support}/, so `#include "conformance/..."` reads the
# same inside the tree and outside it.
find_package(GTest QUIET)
if(TARGET GTest::gtest)
  add_library(gatehouse_testing INTERFACE)
  set_target_properties(gatehouse_testing PROPERTIES EXPORT_NAME testing)
  target_include_directories(gatehouse_testing
    INTERFACE $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/tests>
              $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/gatehouse/testing>)
  target_link_libraries(gatehouse_testing INTERFACE gatehouse_session GTest::gtest)
  add_library(gatehouse::testing ALIAS gatehouse_testing)
  install(TARGETS gatehouse_testing EXPORT gatehouseTestingTargets COMPONENT development)
  install(EXPORT gatehouseTestingTargets NAMESPACE gatehouse::
    DESTINATION ${GATEHOUSE_INSTALL_CMAKEDIR} COMPONENT development)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/tests/conformance
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/gatehouse/testing COMPONENT development
    FILES_MATCHING PATTERN "*.hpp")
  install(FILES ${PROJECT_SOURCE_DIR}/tests/support/run.hpp
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/gatehouse/testing/support COMPONENT development)
  set(GATEHOUSE_PACKAGE_HAS_TESTING TRUE)
else()
  set(GATEHOUSE_PACKAGE_HAS_TESTING FALSE)
endif()

# What gatehouseConfig.cmake finds again: the third-party targets the libraries link, only
# those of areas this build has.
set(GATEHOUSE_PACKAGE_HAS_POSTGRES FALSE)
set(GATEHOUSE_PACKAGE_HAS_REDIS FALSE)
if(TARGET gatehouse_store_postgres)
  set(GATEHOUSE_PACKAGE_HAS_POSTGRES TRUE)
endif()
if(TARGET gatehouse_store_redis)
  set(GATEHOUSE_PACKAGE_HAS_REDIS TRUE)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/packaging/gatehouseConfig.cmake.in
  ${PROJECT_BINARY_DIR}/packaging/gatehouseConfig.cmake
  INSTALL_DESTINATION ${GATEHOUSE_INSTALL_CMAKEDIR})
# 0.x: a minor version may change the interface.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/packaging/gatehouseConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/packaging/gatehouseConfig.cmake
              ${PROJECT_BINARY_DIR}/packaging/gatehouseConfigVersion.cmake
  DESTINATION ${GATEHOUSE_INSTALL_CMAKEDIR} COMPONENT development)
