# What `cmake --install` puts under the prefix (GNUInstallDirs), besides
# bin/photopub: the libvips module, the man pages (built from man/*.scd by
# scdoc), the systemd units, the logrotate snippet, the bash completion,
# the configuration for the units and the documentation with the demo
# configuration. Included by the top-level CMakeLists.txt; the package is
# cmake/package.cmake.

# libphotopub-image.so is installed too, to lib/<arch>/photopub/, and the
# binary loads that file when it is there (src/image/image.c), falling back
# to the copy inside itself. Then what an installed photopub maps is an ELF
# file of the package, so dpkg-shlibdeps sees libvips42 and its libraries
# and puts them in Depends; a package holding only the binary would install
# without libvips and fail on the first image. The path is relative to the
# binary's folder, so `cmake --install --prefix DIR` works for any DIR.
install(TARGETS photopub_image LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/photopub)
file(RELATIVE_PATH PHOTOPUB_MODULE_RELPATH ${CMAKE_INSTALL_FULL_BINDIR}
     ${CMAKE_INSTALL_FULL_LIBDIR}/photopub/libphotopub-image.so)
set_property(SOURCE ${CMAKE_SOURCE_DIR}/src/image/image.c APPEND PROPERTY
             COMPILE_DEFINITIONS PHOTOPUB_MODULE_RELPATH="${PHOTOPUB_MODULE_RELPATH}")

# Man pages: man/NAME.SECTION.scd -> man/NAME.SECTION in the build tree
# (`man -l build/man/photopub-run.1`) and NAME.SECTION.gz (gzip -9n, as
# Debian installs man pages), installed to manSECTION.
find_program(SCDOC scdoc REQUIRED)
find_program(GZIP gzip REQUIRED)
file(GLOB PHOTOPUB_MAN_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/man/*.scd)
set(PHOTOPUB_MAN_PAGES)
foreach(src ${PHOTOPUB_MAN_SOURCES})
  get_filename_component(page ${src} NAME_WLE)           # photopub-run.1
  string(REGEX REPLACE ".*\\.([0-9])$" "\\1" section ${page})
  set(out ${CMAKE_BINARY_DIR}/man/${page})
  add_custom_command(OUTPUT ${out} ${out}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND ${SCDOC} < ${src} > ${out}
    COMMAND ${GZIP} -9nc ${out} > ${out}.gz
    DEPENDS ${src} VERBATIM)
  list(APPEND PHOTOPUB_MAN_PAGES ${out} ${out}.gz)
  install(FILES ${out}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
add_custom_target(man ALL DEPENDS ${PHOTOPUB_MAN_PAGES})

# systemd units, with the installed paths filled in. They go to
# lib/systemd/system under the prefix: /usr/lib/systemd/system for the
# package, /usr/local/lib/systemd/system (also read by systemd) by default.
set(PHOTOPUB_CONFDIR ${CMAKE_INSTALL_FULL_SYSCONFDIR}/photopub)
foreach(unit photopub-serve.service photopub-run.service photopub-run.timer)
  if(EXISTS ${CMAKE_SOURCE_DIR}/dist/systemd/${unit}.in)
    configure_file(${CMAKE_SOURCE_DIR}/dist/systemd/${unit}.in
                   ${CMAKE_BINARY_DIR}/dist/systemd/${unit} @ONLY)
  else()
    configure_file(${CMAKE_SOURCE_DIR}/dist/systemd/${unit}
                   ${CMAKE_BINARY_DIR}/dist/systemd/${unit} COPYONLY)
  endif()
  install(FILES ${CMAKE_BINARY_DIR}/dist/systemd/${unit} DESTINATION lib/systemd/system)
endforeach()

# Under the sysconf dir (/etc for the package: scripts/package sets it):
# the units' configuration, their secrets file (root-only, empty: systemd's
# LoadCredential= needs it to exist), the logrotate snippet.
install(FILES ${CMAKE_SOURCE_DIR}/dist/photopub.ini DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/photopub)
install(FILES ${CMAKE_SOURCE_DIR}/dist/photopub.env DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/photopub
        PERMISSIONS OWNER_READ OWNER_WRITE)
install(FILES ${CMAKE_SOURCE_DIR}/dist/logrotate/photopub
        DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/logrotate.d)

install(FILES ${CMAKE_SOURCE_DIR}/dist/bash-completion/photopub
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

# The documentation, and the demo (its configuration with paths relative
# to its folder, and the sample photographs) in doc/photopub/examples.
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB PHOTOPUB_DOCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${PHOTOPUB_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CMAKE_SOURCE_DIR}/examples/photopub.ini DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/examples/images DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
