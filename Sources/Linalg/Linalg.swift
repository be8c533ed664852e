// placeholder replaced by the Linalg work
import COpenBLAS
