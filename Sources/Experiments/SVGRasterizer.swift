// SVGRasterizer.swift — an SVG document drawn to pixels by librsvg onto a cairo image surface
// (issue 17 item 4), so the PNG plots show exactly what the SVG shows, text included (fonts through
// fontconfig: the SVG names DejaVu Sans first, then generic fallbacks). The only file of the module
// that touches C: one owner per handle, released before returning or throwing; a GError becomes an
// `ExperimentError.plot` naming the file being written.

import CRsvg
import Foundation

/// Renders SVG documents to RGB pixels through librsvg and cairo.
enum SVGRasterizer {
    /// The pixels of `svg` drawn onto a white `width`×`height` canvas (the document's viewBox scaled to
    /// fit it, aspect kept).
    /// - Parameter path: the file the pixels are for; errors name it.
    /// - Throws: `ExperimentError.plot` when librsvg rejects the document or cairo cannot draw.
    /// - Complexity: O(width · height) beyond librsvg's own drawing.
    static func rasterize(_ svg: Data, width: Int, height: Int, path: String) throws -> PixelBuffer {
        guard width > 0, height > 0, width <= 16_384, height <= 16_384 else {
            throw ExperimentError.plot(path: path, reason: "canvas \(width)×\(height) is not between 1×1 and 16384×16384 pixels")
        }
        var error: UnsafeMutablePointer<GError>?
        let handle = svg.withUnsafeBytes { bytes in
            rsvg_handle_new_from_data(bytes.bindMemory(to: guint8.self).baseAddress, gsize(bytes.count), &error)
        }
        guard let handle else { throw failure(error, path: path, doing: "parse the SVG") }
        defer { g_object_unref(UnsafeMutableRawPointer(handle)) }

        let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height))
        defer { cairo_surface_destroy(surface) }
        try check(cairo_surface_status(surface), path: path, doing: "allocate the canvas")
        let cr = cairo_create(surface)
        defer { cairo_destroy(cr) }
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_paint(cr)
        var viewport = RsvgRectangle(x: 0, y: 0, width: Double(width), height: Double(height))
        guard rsvg_handle_render_document(handle, cr, &viewport, &error) != 0 else {
            throw failure(error, path: path, doing: "draw the SVG")
        }
        try check(cairo_status(cr), path: path, doing: "draw the SVG")
        cairo_surface_flush(surface)
        return pixels(of: surface, width: width, height: height)
    }

    /// RGB bytes of an RGB24 surface: each pixel is a native-endian 32-bit word 0x00RRGGBB.
    private static func pixels(of surface: OpaquePointer?, width: Int, height: Int) -> PixelBuffer {
        var image = PixelBuffer(width: width, height: height)
        let stride = Int(cairo_image_surface_get_stride(surface))
        guard let base = cairo_image_surface_get_data(surface) else { return image }
        for y in 0..<height {
            let row = UnsafeRawPointer(base + y * stride)
            for x in 0..<width {
                let word = row.loadUnaligned(fromByteOffset: 4 * x, as: UInt32.self)
                let i = (y * width + x) * 3
                image.pixels[i] = UInt8(truncatingIfNeeded: word >> 16)
                image.pixels[i + 1] = UInt8(truncatingIfNeeded: word >> 8)
                image.pixels[i + 2] = UInt8(truncatingIfNeeded: word)
            }
        }
        return image
    }

    /// The error for a failed librsvg call, with GLib's message (freed here).
    private static func failure(_ error: UnsafeMutablePointer<GError>?, path: String, doing what: String) -> ExperimentError {
        var message = "librsvg gave no reason"
        if let error {
            if let text = error.pointee.message { message = String(cString: text) }
            g_error_free(error)
        }
        return .plot(path: path, reason: "librsvg could not \(what): \(message)")
    }

    private static func check(_ status: cairo_status_t, path: String, doing what: String) throws {
        guard status != CAIRO_STATUS_SUCCESS else { return }
        throw ExperimentError.plot(path: path, reason: "cairo could not \(what): \(String(cString: cairo_status_to_string(status)))")
    }
}
