<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="th_TH">
<context><name>QAbstractFileIconProvider</name>
<message><source>Drive</source><translation>ไดรฟ์</translation></message>
<message><source>File</source><translation>ไฟล์</translation></message>
<message><source>File Folder</source><translation>โฟลเดอร์</translation></message>
<message><source>Folder</source><translation>โฟลเดอร์</translation></message>
</context>
<context><name>QAbstractSpinBox</name>
<message><source>&amp;Select All</source><translation>เลือกทั้งหมด</translation></message>
<message><source>&amp;Step up</source><translation>เพิ่มขึ้น</translation></message>
<message><source>Step &amp;down</source><translation>ลดลง</translation></message>
</context>
<context><name>QDialogButtonBox</name>
<message><source>&amp;Cancel</source><translation>ยกเลิก</translation></message>
<message><source>&amp;OK</source><translation>ตกลง</translation></message>
<message><source>Cancel</source><translation>ยกเลิก</translation></message>
<message><source>OK</source><translation>ตกลง</translation></message>
</context>
<context><name>QFileDialog</name>
<message><source>%1
Directory not found.
Please verify the correct directory name was given.</source><translation>%1
ไม่พบโฟลเดอร์นี้
กรุณาตรวจชื่อโฟลเดอร์</translation></message>
<message><source>%1
File not found.
Please verify the correct file name was given.</source><translation>%1
ไม่พบไฟล์นี้
กรุณาตรวจชื่อไฟล์</translation></message>
<message><source>%1 already exists.
Do you want to replace it?</source><translation>มีไฟล์ %1 อยู่แล้ว
ต้องการเขียนทับหรือไม่</translation></message>
<message><source>&amp;Choose</source><translation>เลือก</translation></message>
<message><source>&amp;Delete</source><translation>ลบ</translation></message>
<message><source>&amp;Look in:</source><translation>ค้นหาใน:</translation></message>
<message><source>&amp;New Folder</source><translation>โฟลเดอร์ใหม่</translation></message>
<message><source>&amp;Open</source><translation>เปิด</translation></message>
<message><source>&amp;Rename</source><translation>เปลี่ยนชื่อ</translation></message>
<message><source>&amp;Save</source><translation>บันทึก</translation></message>
<message><source>'%1' is write protected.
Do you want to delete it anyway?</source><translation>'%1' ถูกป้องกันการเขียน
ต้องการลบหรือไม่</translation></message>
<message><source>All Files (*)</source><translation>ทุกไฟล์ (*)</translation></message>
<message><source>Are you sure you want to delete '%1'?</source><translation>ต้องการลบ '%1' หรือไม่</translation></message>
<message><source>Back</source><translation>ย้อนกลับ</translation></message>
<message><source>Cancel</source><translation>ยกเลิก</translation></message>
<message><source>Change to detail view mode</source><translation>แสดงรายละเอียด</translation></message>
<message><source>Change to list view mode</source><translation>แสดงเป็นรายการ</translation></message>
<message><source>Computer</source><translation>เครื่องนี้</translation></message>
<message><source>Could not delete directory.</source><translation>ลบโฟลเดอร์ไม่ได้</translation></message>
<message><source>Create New Folder</source><translation>สร้างโฟลเดอร์ใหม่</translation></message>
<message><source>Create a New Folder</source><translation>สร้างโฟลเดอร์ใหม่</translation></message>
<message><source>Date Modified</source><translation>วันที่แก้ไข</translation></message>
<message><source>Detail View</source><translation>แสดงรายละเอียด</translation></message>
<message><source>Directories</source><translation>โฟลเดอร์</translation></message>
<message><source>Directory:</source><translation>โฟลเดอร์:</translation></message>
<message><source>File &amp;name:</source><translation>ชื่อไฟล์:</translation></message>
<message><source>File name:</source><translation>ชื่อไฟล์:</translation></message>
<message><source>Files</source><translation>ไฟล์</translation></message>
<message><source>Files of &amp;type:</source><translation>ชนิดไฟล์:</translation></message>
<message><source>Files of type:</source><translation>ชนิดไฟล์:</translation></message>
<message><source>Find Directory</source><translation>เลือกโฟลเดอร์</translation></message>
<message><source>Forward</source><translation>ไปข้างหน้า</translation></message>
<message><source>Go back</source><translation>ย้อนกลับ</translation></message>
<message><source>Go forward</source><translation>ไปข้างหน้า</translation></message>
<message><source>Go to the parent directory</source><translation>ไปที่โฟลเดอร์แม่</translation></message>
<message><source>List View</source><translation>แสดงเป็นรายการ</translation></message>
<message><source>List of places and bookmarks</source><translation>รายการที่และที่คั่นไว้</translation></message>
<message><source>Look in:</source><translation>ค้นหาใน:</translation></message>
<message><source>My Computer</source><translation>เครื่องนี้</translation></message>
<message><source>Name</source><translation>ชื่อ</translation></message>
<message><source>New Folder</source><translation>โฟลเดอร์ใหม่</translation></message>
<message><source>Open</source><translation>เปิด</translation></message>
<message><source>Parent Directory</source><translation>โฟลเดอร์แม่</translation></message>
<message><source>Recent Places</source><translation>ที่ใช้ล่าสุด</translation></message>
<message><source>Save</source><translation>บันทึก</translation></message>
<message><source>Save As</source><translation>บันทึกเป็น</translation></message>
<message><source>Show &amp;hidden files</source><translation>แสดงไฟล์ที่ซ่อนไว้</translation></message>
<message><source>Sidebar</source><translation>แถบด้านข้าง</translation></message>
<message><source>Size</source><translation>ขนาด</translation></message>
<message><source>Type</source><translation>ชนิด</translation></message>
</context>
<context><name>QFileSystemModel</name>
<message><source>Computer</source><translation>เครื่องนี้</translation></message>
<message><source>Date Modified</source><translation>วันที่แก้ไข</translation></message>
<message><source>Kind</source><translation>ชนิด</translation></message>
<message><source>My Computer</source><translation>เครื่องนี้</translation></message>
<message><source>Name</source><translation>ชื่อ</translation></message>
<message><source>Size</source><translation>ขนาด</translation></message>
<message><source>Type</source><translation>ชนิด</translation></message>
</context>
<context><name>QLineEdit</name>
<message><source>&amp;Copy</source><translation>คัดลอก</translation></message>
<message><source>&amp;Paste</source><translation>วาง</translation></message>
<message><source>&amp;Redo</source><translation>ทำซ้ำ</translation></message>
<message><source>&amp;Undo</source><translation>เลิกทำ</translation></message>
<message><source>Copy &amp;Link Location</source><translation>คัดลอกที่อยู่ลิงก์</translation></message>
<message><source>Cu&amp;t</source><translation>ตัด</translation></message>
<message><source>Delete</source><translation>ลบ</translation></message>
<message><source>Select All</source><translation>เลือกทั้งหมด</translation></message>
</context>
<context><name>QMessageBox</name>
<message><source>Hide Details...</source><translation>ซ่อนรายละเอียด...</translation></message>
<message><source>OK</source><translation>ตกลง</translation></message>
<message><source>Show Details...</source><translation>แสดงรายละเอียด...</translation></message>
</context>
<context><name>QPageSetupWidget</name>
<message><source>Centimeters (cm)</source><translation>เซนติเมตร (cm)</translation></message>
<message><source>Custom</source><translation>กำหนดเอง</translation></message>
<message><source>Form</source><translation>ฟอร์ม</translation></message>
<message><source>Height:</source><translation>สูง:</translation></message>
<message><source>Inches (in)</source><translation>นิ้ว (in)</translation></message>
<message><source>Landscape</source><translation>แนวนอน</translation></message>
<message><source>Margins</source><translation>ระยะขอบ</translation></message>
<message><source>Millimeters (mm)</source><translation>มิลลิเมตร (mm)</translation></message>
<message><source>Orientation</source><translation>แนวกระดาษ</translation></message>
<message><source>Page Layout</source><translation>การจัดหน้า</translation></message>
<message><source>Page order:</source><translation>ลำดับหน้า:</translation></message>
<message><source>Page size:</source><translation>ขนาดกระดาษ:</translation></message>
<message><source>Pages per sheet:</source><translation>หน้าต่อแผ่น:</translation></message>
<message><source>Paper</source><translation>กระดาษ</translation></message>
<message><source>Paper source:</source><translation>ถาดกระดาษ:</translation></message>
<message><source>Points (pt)</source><translation>พอยต์ (pt)</translation></message>
<message><source>Portrait</source><translation>แนวตั้ง</translation></message>
<message><source>Reverse landscape</source><translation>แนวนอนกลับหัว</translation></message>
<message><source>Reverse portrait</source><translation>แนวตั้งกลับหัว</translation></message>
<message><source>Width:</source><translation>กว้าง:</translation></message>
<message><source>bottom margin</source><translation>ขอบล่าง</translation></message>
<message><source>left margin</source><translation>ขอบซ้าย</translation></message>
<message><source>right margin</source><translation>ขอบขวา</translation></message>
<message><source>top margin</source><translation>ขอบบน</translation></message>
</context>
<context><name>QPlatformTheme</name>
<message><source>&amp;No</source><translation>ไม่ใช่</translation></message>
<message><source>&amp;OK</source><translation>ตกลง</translation></message>
<message><source>&amp;Yes</source><translation>ใช่</translation></message>
<message><source>Abort</source><translation>ยกเลิก</translation></message>
<message><source>Apply</source><translation>ใช้</translation></message>
<message><source>Cancel</source><translation>ยกเลิก</translation></message>
<message><source>Close</source><translation>ปิด</translation></message>
<message><source>Close without Saving</source><translation>ปิดโดยไม่บันทึก</translation></message>
<message><source>Discard</source><translation>ไม่บันทึก</translation></message>
<message><source>Don't Save</source><translation>ไม่บันทึก</translation></message>
<message><source>Help</source><translation>ช่วยเหลือ</translation></message>
<message><source>Ignore</source><translation>ข้าม</translation></message>
<message><source>No</source><translation>ไม่ใช่</translation></message>
<message><source>No to All</source><translation>ไม่ใช่ทั้งหมด</translation></message>
<message><source>OK</source><translation>ตกลง</translation></message>
<message><source>Open</source><translation>เปิด</translation></message>
<message><source>Reset</source><translation>คืนค่า</translation></message>
<message><source>Restore Defaults</source><translation>คืนค่าเริ่มต้น</translation></message>
<message><source>Retry</source><translation>ลองใหม่</translation></message>
<message><source>Save</source><translation>บันทึก</translation></message>
<message><source>Save All</source><translation>บันทึกทั้งหมด</translation></message>
<message><source>Yes</source><translation>ใช่</translation></message>
<message><source>Yes to All</source><translation>ใช่ทั้งหมด</translation></message>
</context>
<context><name>QPrintDialog</name>
<message><source>%1 already exists.
Do you want to overwrite it?</source><translation>มีไฟล์ %1 อยู่แล้ว
ต้องการเขียนทับหรือไม่</translation></message>
<message><source>%1 is a directory.
Please choose a different file name.</source><translation>%1 เป็นโฟลเดอร์
กรุณาเลือกชื่อไฟล์อื่น</translation></message>
<message><source>&amp;Options &lt;&lt;</source><translation>ตัวเลือก &lt;&lt;</translation></message>
<message><source>&amp;Options &gt;&gt;</source><translation>ตัวเลือก &gt;&gt;</translation></message>
<message><source>&amp;Print</source><translation>พิมพ์</translation></message>
<message><source>All Pages</source><translation>ทุกหน้า</translation></message>
<message><source>Automatic</source><translation>อัตโนมัติ</translation></message>
<message><source>Even Pages</source><translation>หน้าคู่</translation></message>
<message><source>File %1 is not writable.
Please choose a different file name.</source><translation>เขียนไฟล์ %1 ไม่ได้
กรุณาเลือกชื่อไฟล์อื่นหรือโฟลเดอร์อื่น</translation></message>
<message><source>Local file</source><translation>ไฟล์ในเครื่อง</translation></message>
<message><source>Odd Pages</source><translation>หน้าคี่</translation></message>
<message><source>Pages from</source><translation>หน้า</translation></message>
<message><source>Print</source><translation>พิมพ์</translation></message>
<message><source>Print Current Page</source><translation>พิมพ์หน้านี้</translation></message>
<message><source>Print To File ...</source><translation>พิมพ์ลงไฟล์...</translation></message>
<message><source>Print all</source><translation>พิมพ์ทั้งหมด</translation></message>
<message><source>Print range</source><translation>ช่วงหน้าที่พิมพ์</translation></message>
<message><source>Print to File (PDF)</source><translation>พิมพ์ลงไฟล์ (PDF)</translation></message>
<message><source>Selection</source><translation>ส่วนที่เลือก</translation></message>
<message><source>The 'From' value cannot be greater than the 'To' value.</source><translation>หน้าเริ่มต้องไม่มากกว่าหน้าสุดท้าย</translation></message>
<message><source>Write PDF file</source><translation>เขียนไฟล์ PDF</translation></message>
<message><source>to</source><translation>ถึง</translation></message>
</context>
<context><name>QPrintPropertiesDialog</name>
<message><source>Advanced</source><translation>ขั้นสูง</translation></message>
<message><source>Job Options</source><translation>ตัวเลือกงานพิมพ์</translation></message>
<message><source>Page Setup</source><translation>ตั้งค่าหน้า</translation></message>
<message><source>Printer Properties</source><translation>คุณสมบัติเครื่องพิมพ์</translation></message>
</context>
<context><name>QPrintPropertiesWidget</name>
<message><source>Advanced</source><translation>ขั้นสูง</translation></message>
<message><source>Form</source><translation>ฟอร์ม</translation></message>
<message><source>Page</source><translation>หน้า</translation></message>
</context>
<context><name>QPrintSettingsOutput</name>
<message><source>Collate</source><translation>เรียงชุด</translation></message>
<message><source>Color</source><translation>สี</translation></message>
<message><source>Color Mode</source><translation>โหมดสี</translation></message>
<message><source>Copies</source><translation>จำนวนชุด</translation></message>
<message><source>Copies:</source><translation>จำนวนชุด:</translation></message>
<message><source>Current Page</source><translation>หน้านี้</translation></message>
<message><source>Double Sided Printing</source><translation>พิมพ์สองหน้า</translation></message>
<message><source>Duplex Printing</source><translation>พิมพ์สองหน้า</translation></message>
<message><source>Form</source><translation>ฟอร์ม</translation></message>
<message><source>Grayscale</source><translation>ขาวดำ</translation></message>
<message><source>Long side binding</source><translation>เข้าเล่มด้านยาว</translation></message>
<message><source>Off</source><translation>ปิด</translation></message>
<message><source>Options</source><translation>ตัวเลือก</translation></message>
<message><source>Output Settings</source><translation>การพิมพ์</translation></message>
<message><source>Page &amp;Set:</source><translation>ชุดหน้า:</translation></message>
<message><source>Pages</source><translation>หน้า</translation></message>
<message><source>Pages from</source><translation>หน้า</translation></message>
<message><source>Print all</source><translation>พิมพ์ทั้งหมด</translation></message>
<message><source>Print range</source><translation>ช่วงหน้าที่พิมพ์</translation></message>
<message><source>Reverse</source><translation>กลับลำดับ</translation></message>
<message><source>Selection</source><translation>ส่วนที่เลือก</translation></message>
<message><source>Short side binding</source><translation>เข้าเล่มด้านสั้น</translation></message>
<message><source>Specify pages or ranges separated by commas. Ranges are specified by two numbers separated by a hyphen. E.g: 3,5-7,9 prints pages 3, 5, 6, 7 and 9.</source><translation>ระบุหน้าหรือช่วงหน้า คั่นด้วยจุลภาค ช่วงหน้าเขียนเป็นตัวเลขสองตัวคั่นด้วยขีด เช่น 3,5-7,9 พิมพ์หน้า 3, 5, 6, 7 และ 9</translation></message>
<message><source>to</source><translation>ถึง</translation></message>
</context>
<context><name>QPrintWidget</name>
<message><source>&amp;Name:</source><translation>ชื่อ:</translation></message>
<message><source>...</source><translation>...</translation></message>
<message><source>Form</source><translation>ฟอร์ม</translation></message>
<message><source>Location:</source><translation>ที่ตั้ง:</translation></message>
<message><source>Output &amp;file:</source><translation>ไฟล์ที่จะเขียน:</translation></message>
<message><source>P&amp;roperties</source><translation>คุณสมบัติ</translation></message>
<message><source>Preview</source><translation>ตัวอย่าง</translation></message>
<message><source>Printer</source><translation>เครื่องพิมพ์</translation></message>
<message><source>Type:</source><translation>ชนิด:</translation></message>
</context>
<context><name>QProgressDialog</name>
<message><source>Cancel</source><translation>ยกเลิก</translation></message>
</context>
<context><name>QScrollBar</name>
<message><source>Bottom</source><translation>ล่างสุด</translation></message>
<message><source>Left edge</source><translation>ซ้ายสุด</translation></message>
<message><source>Page down</source><translation>ลงหนึ่งหน้า</translation></message>
<message><source>Page left</source><translation>หน้าซ้าย</translation></message>
<message><source>Page right</source><translation>หน้าขวา</translation></message>
<message><source>Page up</source><translation>ขึ้นหนึ่งหน้า</translation></message>
<message><source>Right edge</source><translation>ขวาสุด</translation></message>
<message><source>Scroll down</source><translation>เลื่อนลง</translation></message>
<message><source>Scroll here</source><translation>เลื่อนมาที่นี่</translation></message>
<message><source>Scroll left</source><translation>เลื่อนซ้าย</translation></message>
<message><source>Scroll right</source><translation>เลื่อนขวา</translation></message>
<message><source>Scroll up</source><translation>เลื่อนขึ้น</translation></message>
<message><source>Top</source><translation>บนสุด</translation></message>
</context>
<context><name>QTabBar</name>
<message><source>Scroll Left</source><translation>เลื่อนซ้าย</translation></message>
<message><source>Scroll Right</source><translation>เลื่อนขวา</translation></message>
</context>
<context><name>QWidgetTextControl</name>
<message><source>&amp;Copy</source><translation>คัดลอก</translation></message>
<message><source>&amp;Paste</source><translation>วาง</translation></message>
<message><source>&amp;Redo</source><translation>ทำซ้ำ</translation></message>
<message><source>&amp;Undo</source><translation>เลิกทำ</translation></message>
<message><source>Copy &amp;Link Location</source><translation>คัดลอกที่อยู่ลิงก์</translation></message>
<message><source>Cu&amp;t</source><translation>ตัด</translation></message>
<message><source>Delete</source><translation>ลบ</translation></message>
<message><source>Select All</source><translation>เลือกทั้งหมด</translation></message>
</context>
</TS>
